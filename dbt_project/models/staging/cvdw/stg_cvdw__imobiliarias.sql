with

source as (

    select * from {{ source('cvdw', 'imobiliarias') }}

),

renamed as (

    select
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

    select distinct on (idimobiliaria) *
    from renamed
    where idimobiliaria is not null
    order by idimobiliaria, {{ cvdw_newest_first() }}

)

select * from final
