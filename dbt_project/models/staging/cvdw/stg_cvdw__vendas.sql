{%- set src = source('cvdw', 'vendas') -%}
{%- set cols = cvdw_columns('cvdw', 'vendas') -%}

with

renamed as (

    select
        coalesce(
            {{ cvdw_column(cols, 'idreserva', 'bigint') }},
            {{ cvdw_parse_number(cvdw_column(cols, 'referencia')) }}::bigint
        ) as idreserva,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_reserva')) }} as data_reserva,
        {{ cvdw_date(cvdw_column(cols, 'data_venda')) }} as data_venda,
        {{ cvdw_bool(cvdw_column(cols, 'aprovada')) }} as is_aprovada,
        {{ cvdw_numeric(cols, 'valor_contrato') }} as valor_contrato,
        {{ cvdw_numeric(cols, 'area_privativa') }} as area_privativa,
        {{ cvdw_column(cols, 'idempreendimento', 'bigint') }} as idempreendimento,
        {{ cvdw_text(cvdw_column(cols, 'empreendimento')) }} as empreendimento,
        {{ cvdw_column(cols, 'idunidade', 'bigint') }} as idunidade,
        {{ cvdw_text(cvdw_column(cols, 'unidade')) }} as unidade,
        {{ cvdw_column(cols, 'idcorretor', 'bigint') }} as idcorretor,
        {{ cvdw_column(cols, 'idimobiliaria', 'bigint') }} as idimobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'tipovenda')) }} as tipo_venda,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idreserva) *
    from renamed
    where idreserva is not null
    order by idreserva, {{ cvdw_newest_first() }}

)

select * from final
