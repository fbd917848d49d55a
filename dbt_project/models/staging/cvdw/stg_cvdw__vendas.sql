with

source as (

    {{ cvdw_source('vendas') }}

),

renamed as (

    select
        conta,
        coalesce(idreserva, {{ cvdw_parse_number('referencia') }}::bigint) as idreserva,
        {{ cvdw_timestamp('data_reserva') }} as data_reserva,
        {{ cvdw_date('data_venda') }} as data_venda,
        {{ cvdw_bool('aprovada') }} as is_aprovada,
        {{ cvdw_number('valor_contrato') }} as valor_contrato,
        {{ cvdw_number('area_privativa') }} as area_privativa,
        idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        idunidade,
        {{ cvdw_text('unidade') }} as unidade,
        idcorretor,
        {{ cvdw_text('corretor') }} as corretor,
        idimobiliaria,
        {{ cvdw_text('imobiliaria') }} as imobiliaria,
        {{ cvdw_text('tipovenda') }} as tipo_venda,
        {{ cvdw_text('idlead') }} as idlead,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idreserva) *
    from renamed
    where idreserva is not null
    order by conta, idreserva, {{ cvdw_newest_first() }}

)

select * from final
