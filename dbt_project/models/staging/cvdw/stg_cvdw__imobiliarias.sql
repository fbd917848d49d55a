with

source as (

    {{ cvdw_source('imobiliarias') }}

),

renamed as (

    select
        conta,
        idimobiliaria,
        {{ cvdw_text('nome') }} as imobiliaria,
        {{ cvdw_text('razao_social') }} as razao_social,
        {{ cvdw_text('cidade') }} as cidade,
        {{ cvdw_text('estado') }} as estado,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idimobiliaria) *
    from renamed
    where idimobiliaria is not null
    order by conta, idimobiliaria, {{ cvdw_newest_first() }}

)

select * from final
